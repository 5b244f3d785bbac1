DROP TABLE report_summaries;
DROP TABLE branding_assets;
