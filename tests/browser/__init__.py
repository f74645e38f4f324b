"""Browser journeys (Playwright driving Debian's chromium). A package so its conftest gets its own module name."""
