"""Custom voices: reference clips uploaded by editors, with their provenance and consent on record."""
