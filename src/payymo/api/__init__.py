"""The v1 API's shared machinery: endpoint declaration, authentication, OpenAPI, rate limits."""
