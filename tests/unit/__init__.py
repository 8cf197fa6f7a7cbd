"""Python unit tests, one folder per folder of ``consortium_evm``."""
