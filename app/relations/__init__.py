"""Relations: a country's partners, and one pair of countries summarised."""
