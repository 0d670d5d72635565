// Package sign signs, attests and verifies artifacts in OCI registries and layouts, in the
// formats the Sigstore and Notary Project tools write, so that cosign and notation verify what
// eopack signs and eopack verifies what they sign.
//
//   - Keys: ECDSA P-256 pairs in cosign's files ("ENCRYPTED SIGSTORE PRIVATE KEY" PEM, scrypt +
//     NaCl secretbox; "PUBLIC KEY" PEM).
//   - Signatures and attestations: a Sigstore bundle v0.3 (a DSSE envelope over an in-toto
//     Statement v1, verified by a public key, no transparency log) pushed as a referrer of the
//     manifest, laid out as cosign v3 lays it out (bundle.go, referrer.go).
//   - Verification reads those referrers, cosign's legacy "sha256-<hex>.sig"/".att" tags, and
//     Notary Project signatures (verify.go, legacy.go, notation.go).
//
// Specs: https://github.com/sigstore/protobuf-specs (bundle), https://github.com/secure-systems-lab/dsse,
// https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md, https://slsa.dev/spec/v1.0/provenance.
package sign
