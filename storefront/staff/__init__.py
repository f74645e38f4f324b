"""Staff accounts, their login (page session and API token), guards and the back-office shell."""
