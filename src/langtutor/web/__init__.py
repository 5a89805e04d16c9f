"""The learner's web pages: server-rendered HTML over the same services as the API."""
