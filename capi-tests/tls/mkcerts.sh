#!/bin/sh
# mkcerts.sh DIR — test certificates for the STARTTLS C tests, made at test
# time with the openssl CLI (nothing here is committed). Every NAME.pem
# holds certificate + unencrypted key; ca.pem is the trust anchor.
#   good      DNS:localhost                 wrong     DNS:wrong.example
#   self      self-signed DNS:localhost     ipsan     IP:127.0.0.1
#   wild      DNS:*.0.0.1                   client    CN=client@example.org
#   ipcn      CN=127.0.0.1, no SAN
#   clientenc the client key encrypted with "keypass"
set -e
d=${1:?usage: mkcerts.sh DIR}
mkdir -p "$d"
cd "$d"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=esmtp-rs C test CA" >/dev/null 2>&1
leaf() { # NAME SUBJECT [SAN]
    openssl req $ec -keyout "$1.key" -out "$1.csr" -subj "$2" >/dev/null 2>&1
    if [ -n "$3" ]; then printf 'subjectAltName=%s\n' "$3" > "$1.ext"; else : > "$1.ext"; fi
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days 30 -extfile "$1.ext" -out "$1.crt" >/dev/null 2>&1
    cat "$1.crt" "$1.key" > "$1.pem"
}
leaf good   "/CN=localhost"          "DNS:localhost"
leaf wrong  "/CN=wrong.example"      "DNS:wrong.example"
leaf ipsan  "/CN=127.0.0.1"          "IP:127.0.0.1"
leaf ipcn   "/CN=127.0.0.1"
leaf wild   "/CN=wild"               "DNS:*.0.0.1"
leaf client "/CN=client@example.org"
openssl req -x509 $ec -keyout self.key -out self.crt -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" >/dev/null 2>&1
cat self.crt self.key > self.pem
openssl pkey -in client.key -aes256 -passout pass:keypass -out clientenc.key
cat client.crt clientenc.key > clientenc.pem
chmod 600 ./*.pem ./*.key
