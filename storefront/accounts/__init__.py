"""Customer accounts: registration with email confirmation, login (page session and API token), profile."""
