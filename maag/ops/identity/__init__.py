"""Identity: the realm the OpenID Connect provider (Keycloak) serves, who is seeded in it for
local use, and getting tokens from it."""
