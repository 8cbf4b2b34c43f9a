from tests.support.moto_server import moto_server  # noqa: F401  (fixture)
