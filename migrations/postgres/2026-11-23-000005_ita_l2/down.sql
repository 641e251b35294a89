DROP TABLE ita_l2_bookings;
DROP TABLE ita_l2_sessions;
