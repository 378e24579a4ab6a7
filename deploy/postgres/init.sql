-- One database and one role per app (run once, by the postgres image, on an empty volume).
-- The passwords are for the local docker-compose demo, where PostgreSQL is reachable only on
-- the compose network; anything else gets its own secrets.
CREATE ROLE edf_gateway LOGIN PASSWORD 'edf_gateway';
CREATE ROLE edf_applications LOGIN PASSWORD 'edf_applications';
CREATE ROLE edf_scoring LOGIN PASSWORD 'edf_scoring';
CREATE ROLE edf_disbursement LOGIN PASSWORD 'edf_disbursement';
CREATE ROLE edf_monitoring LOGIN PASSWORD 'edf_monitoring';

CREATE DATABASE edf_gateway OWNER edf_gateway;
CREATE DATABASE edf_applications OWNER edf_applications;
CREATE DATABASE edf_scoring OWNER edf_scoring;
CREATE DATABASE edf_disbursement OWNER edf_disbursement;
CREATE DATABASE edf_monitoring OWNER edf_monitoring;

-- Each app reaches only its own database.
REVOKE CONNECT ON DATABASE edf_gateway, edf_applications, edf_scoring, edf_disbursement, edf_monitoring FROM PUBLIC;
GRANT CONNECT ON DATABASE edf_gateway TO edf_gateway;
GRANT CONNECT ON DATABASE edf_applications TO edf_applications;
GRANT CONNECT ON DATABASE edf_scoring TO edf_scoring;
GRANT CONNECT ON DATABASE edf_disbursement TO edf_disbursement;
GRANT CONNECT ON DATABASE edf_monitoring TO edf_monitoring;
