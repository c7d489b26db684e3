"""The floor every app stands on: Thai text and dates, class levels, domain errors, cache generations, client
addresses, the API error schema. Imports nothing from the apps above it."""
