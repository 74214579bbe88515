"""The province receiving ward bundles: enrolment and trust list, imports, forks, receipts,
the overview and one ward's drill-down."""
