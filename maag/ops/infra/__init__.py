"""Local infrastructure (Kafka from Maven Central, PostgreSQL from Debian) for a Docker-less machine.

Standard library only, so `deploy/local/infra.sh` can run it before any virtualenv exists.
"""
