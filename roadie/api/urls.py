from ninja import NinjaAPI

from roadie.api import errors
from roadie.api.auth import DEFAULT_AUTH
from roadie.api.v1 import accounts, customers, tickets

api = NinjaAPI(
    title="Roadie API",
    version="1",
    description="After-sales service desk: tickets, customers, contracts, deployments.",
    auth=DEFAULT_AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
)
errors.install(api)
api.add_router("", accounts.router)
api.add_router("", customers.router)
api.add_router("", tickets.router)
api.add_router("", "roadie.api.v1.sla.router")
api.add_router("", "roadie.api.v1.releases.router")
api.add_router("", "roadie.api.v1.oncall.router")
api.add_router("", "roadie.api.v1.notifications.router")
api.add_router("", "roadie.api.v1.monitoring.router")
api.add_router("", "roadie.api.v1.reports.router")
