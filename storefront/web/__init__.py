"""Web plumbing shared by the HTML pages and the JSON API: the Flask class, request ids, security
headers, the input guard, safe redirects, htmx helpers, templating helpers, pagination, identity."""
