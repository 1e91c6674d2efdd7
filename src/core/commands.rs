//! SMTP command formatting (MAIL, RCPT and their parameters, xtext).
