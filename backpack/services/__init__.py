"""What the app does. Services add and flush; the request or the command commits."""
