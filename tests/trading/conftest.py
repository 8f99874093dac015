"""Trading tests need settlement's reference data (bank profiles) like the settlement tests."""

from tests.settlement.conftest import _reference_data  # noqa: F401
