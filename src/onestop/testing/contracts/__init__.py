"""Contract test suites: one per port, for every adapter of it.

Each suite is a class whose name does not start with ``Test``, so pytest does not collect
it on its own; subclass it in a test module as ``Test<Adapter>``, implement its factory
method(s), and pytest runs every test against your adapter:

* :mod:`onestop.testing.contracts.storage`: ``StorageContract`` (``make_storage()``) and
  ``FailureInjectionContract`` (``make_failing_storage(fail_on)``) for storages that
  inject failures by operation name.
* :mod:`onestop.testing.contracts.edges`: ``FileStoreContract`` (``make_store()``),
  ``MailTransportContract`` (``make_transport()``, ``delivered(transport)``),
  ``PaymentGatewayContract`` (``make_gateway()``, ``make_callback(...)``),
  ``ClockContract`` (``make_clock()``), ``PasswordHasherContract`` (``make_hasher()``) and
  ``TokenSignerContract`` (``make_signer()``, ``make_other_signer()``).

These modules import pytest and hypothesis (the ``test`` extra). Nothing is imported here,
so importing the package alone pulls in neither.
"""
