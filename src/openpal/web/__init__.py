"""What both HTTP front ends (the API and the dashboard) share: reading request bodies
within limits, while they arrive (JSON strictly, multipart as a stream)."""
