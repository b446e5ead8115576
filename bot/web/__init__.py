"""The web app (aiohttp): product page and widget, salespeople's inbox, brief API."""
