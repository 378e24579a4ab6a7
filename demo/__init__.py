"""`make demo`: a realistic call driven end to end through the gateway of a running stack.

Synthetic applicants (Iraqi names, governorates and districts, sectors, amounts) apply, officers
score, the committee decides, monitors verify, finance approves and the reference finance
consumer pays; then a summary. The data comes from `demo.data` (pure, seeded); the driver
(`demo.run`) talks to the gateway only, never to a service or a database.
"""
