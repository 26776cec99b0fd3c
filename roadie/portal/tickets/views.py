from django.http import HttpResponse


def ticket_list(request, *a, **k):  # placeholder, replaced by the portal work
    return HttpResponse("")


ticket_new = ticket_detail = ticket_list
