DROP TABLE login_throttle;
DROP TABLE staff_sessions;
