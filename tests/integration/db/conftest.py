from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures)
