"""The review workspace's pages, served inside the admin site (`kycreview.admin_site`).

- `case`: one submission: images with evidence, data, checks, claim, decision, four-eyes.
- `queue`: Pending submissions oldest first, keyset-paginated.
- `dashboard`: volumes, approval rate, reject codes, review time and SLA breaches.
"""
