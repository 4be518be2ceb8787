"""The legacy import (issue 13) against a generated legacy database."""
