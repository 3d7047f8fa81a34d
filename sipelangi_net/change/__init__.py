"""The change path of SOP step 7, in the order a change goes through it.

- :mod:`~sipelangi_net.change.render`: the plan's intended config per device (Jinja2).
- :mod:`~sipelangi_net.change.diff`: running vs intended, the exact commands per device.
- :mod:`~sipelangi_net.change.changeset`: those commands frozen with the running config's
  digest — what the engineer approves is what the push sends.
- :mod:`~sipelangi_net.change.engine`: every device operation of a change as Nornir tasks.
- :mod:`~sipelangi_net.change.push`: backup, arm, push, post-check, confirm — or roll back.
- :mod:`~sipelangi_net.change.install` / :mod:`~sipelangi_net.change.rollback`: a ticket's
  installation (steps 7 and 8) and its undoing (step 9 refused), recorded on the ticket.
- :mod:`~sipelangi_net.change.dhcp`: the OPD's DHCP scope on the central Kea server (a gateway
  that relays), as the server's ``subnet4`` list before and after.
"""
