"""roadie-agent: reports a server's health to Roadie once a minute.

Runs on a customer's server with the standard library and psutil only (no Django, nothing of
Roadie): it collects, writes each batch to an on-disk spool, and sends the spool oldest first,
so an outage of the network or of Roadie loses nothing and keeps the order.
"""

__version__ = "0.1.0"
