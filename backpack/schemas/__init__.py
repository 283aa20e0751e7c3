"""marshmallow schemas of the JSON APIs: `<Thing>Schema` for output, `<Thing>Args` for input."""
