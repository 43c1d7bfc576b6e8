//! Password hashing with Argon2 (RFC 9106), compatible with argon2-cffi and Django's
//! `Argon2PasswordHasher`: the engine (`engine`, lanes on a private thread pool), the PHC string
//! format with caps on what a stored hash may ask for (`phc`), and the Python edge (`bind`).

pub mod bind;
pub mod engine;
pub mod phc;

pub use bind::register;
