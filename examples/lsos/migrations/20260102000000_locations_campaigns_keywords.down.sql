DROP TABLE keywords;
DROP TABLE campaigns;
DROP TABLE locations;
