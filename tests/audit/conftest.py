"""The dashboard's signed-in clients and the API's keyed client, for the audit tests."""
from tests.api.conftest import api, make_key  # noqa: F401  (fixtures)
from tests.dashboard.conftest import as_role, make_account, served  # noqa: F401  (fixtures)
