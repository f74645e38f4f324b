"""The shop's shared language: domain errors, money, password hashing."""
