from tests.integration.runtime.conftest import producer

__all__ = ["producer"]
