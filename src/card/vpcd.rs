//! Serves a [`VirtualCard`] to pcscd through vsmartcard's vpcd TCP protocol. The card is the TCP
//! client: connecting inserts it, closing the socket removes it. Each frame is a 2-byte big-endian
//! length and a payload; a 1-byte payload is a control message (0 power off, 1 power on, 2 reset:
//! no reply; 4: reply with the ATR), anything else is a command APDU answered with one frame.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;

use tracing::debug;

use super::sim::VirtualCard;

/// Why serving ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// vpcd closed the connection (pcscd stopped).
    Closed,
    /// The card pulled itself out (`remove_after_apdus`).
    Removed,
}

/// Linux clears TCP_QUICKACK by itself after an ACK: re-arm it before every read, or each APDU waits
/// for vpcd's delayed ACK against Nagle (~44 ms per APDU measured instead of < 1 ms).
fn quickack(s: &TcpStream) {
    let one: libc::c_int = 1;
    // SAFETY: valid socket fd, pointer to a c_int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        debug!(error = %io::Error::last_os_error(), "TCP_QUICKACK not set");
    }
}

/// Read exactly `buf.len()` bytes; `Ok(false)` on a clean EOF before the first byte.
fn recv_exact(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        quickack(s);
        match s.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// One write per frame (length + payload), so Nagle never holds half a frame back.
fn send_frame(s: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    s.write_all(&frame)
}

/// Connect to vpcd at `addr` (= insert the card), call `on_inserted`, serve until the connection
/// ends or the card removes itself.
pub fn serve(
    addr: &str,
    card: &mut VirtualCard,
    atr: &[u8],
    on_inserted: impl FnOnce(),
) -> io::Result<End> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    on_inserted();
    let mut len = [0u8; 2];
    let mut buf = vec![0u8; u16::MAX as usize];
    loop {
        if !recv_exact(&mut s, &mut len)? {
            return Ok(End::Closed);
        }
        let n = usize::from(u16::from_be_bytes(len));
        if !recv_exact(&mut s, &mut buf[..n])? && n > 0 {
            return Ok(End::Closed);
        }
        let msg = &buf[..n];
        match msg {
            [0x00] => debug!("vpcd: power off"),
            [0x01] | [0x02] => {
                debug!("vpcd: power on / reset");
                card.power_on();
            }
            [0x04] => send_frame(&mut s, atr)?,
            [_] | [] => debug!(msg = ?msg, "vpcd: unknown control message"),
            apdu => match card.respond(apdu) {
                Some(rsp) => send_frame(&mut s, &rsp)?,
                None => {
                    let _ = s.shutdown(Shutdown::Both);
                    return Ok(End::Removed);
                }
            },
        }
    }
}
