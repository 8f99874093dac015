"""A throwaway app declared the way docs/development.md ("Adding an app") says: installed by
tests/core/test_registry.py to show that the registry wires in an app that nothing else names."""
