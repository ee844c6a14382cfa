DROP TABLE drp_replays;
DROP TABLE drp_requests;
DROP TABLE drp_tokens;
DROP TABLE drp_agents;
DROP TABLE documents;
DROP TABLE request_agents;
