"""Content pages (a small CMS): About, Shipping & returns, Grading guide … written by staff in
Markdown or HTML, sanitised, rendered at ``/pages/<slug>`` and linked from the header and footer."""
