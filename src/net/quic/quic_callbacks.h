#pragma once
// ngtcp2's callbacks for a QuicConnection: free functions that cast their
// user data back to the connection and forward to it or its application.
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

namespace triplex::net::quic {

// The table for a client or a server connection.
ngtcp2_callbacks make_quic_callbacks(bool client);
// For ngtcp2_crypto_conn_ref (user_data is the QuicConnection).
ngtcp2_conn* quic_conn_of_ref(ngtcp2_crypto_conn_ref* ref);
// GnuTLS got a session ticket: the client keeps it for resumption.
void quic_session_ticket_cb(ngtcp2_crypto_conn_ref* ref);

}  // namespace triplex::net::quic
