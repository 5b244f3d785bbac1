DROP TABLE delivery_log;
DROP TABLE report_files;
DROP TABLE audit_log;
DROP TABLE reviews;
