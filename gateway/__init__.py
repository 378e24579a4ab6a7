"""The gateway: users and tokens, routing to the services, the merged OpenAPI document."""
