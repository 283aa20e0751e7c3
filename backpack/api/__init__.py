"""JSON APIs: one blueprint per API family, each with its own error shape."""
