"""Test support for onestop and for hosts that write their own adapters.

* :mod:`onestop.testing.builders`: factories for valid domain objects (core dependencies only).
* :mod:`onestop.testing.contracts`: one contract test suite per port; subclass one, override
  its factory method, and pytest runs every test against your adapter. The contracts import
  pytest and hypothesis, so they need the ``test`` extra: ``pip install 'onestop[test]'``.

Nothing is imported here, so ``import onestop.testing`` alone pulls in no test library.
"""
