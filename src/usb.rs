//! USB devices that look like smart-card readers, and whether a PC/SC driver would take them.
//!
//! pcscd loads a USB reader only when its vendor and product id are listed in some driver's
//! `Info.plist` (`ifdVendorID` / `ifdProductID`): there is no fallback on the CCID interface class
//! (pcsc-lite `src/hotplug_libudev.c`, `get_driver`). So "lsusb shows it, pcscd does not" means no
//! installed driver lists that id. `mynawatch doctor` compares the two lists; both roots (`/sys`,
//! the drivers directory) are parameters so tests can stage them.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Where pcsc-lite looks for reader drivers (`USBDROPDIR`): Debian and Ubuntu use the first,
/// Fedora and openSUSE the second.
pub const DRIVER_DIRS: [&str; 3] = [
    "/usr/lib/pcsc/drivers",
    "/usr/lib64/pcsc/drivers",
    "/usr/local/lib/pcsc/drivers",
];

/// USB interface class of a smart-card reader (CCID).
const CLASS_SMART_CARD: u8 = 0x0b;

/// A USB vendor:product id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsbId {
    pub vendor: u16,
    pub product: u16,
}

impl fmt::Display for UsbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.product)
    }
}

impl Serialize for UsbId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What is known about a reader model that Linux users in Japan meet, beyond the driver lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownModel {
    /// Sony PaSoRi RC-S380 (and its /S, /P variants): no CCID interface, no PC/SC driver on Linux.
    SonyRcS380,
    /// Sony RC-S300 family (RC-S300/S, RC-S300/P, RC-S660/U): libccid lists them from 1.4.35.
    SonyRcS300,
    /// ACS ACR1251 CL / ACR1251U-C (NTT Com OEM): only in ACS's own driver, package libacsccid1.
    AcsAcr1251,
}

/// The first libccid that lists the RC-S300 family (CCID's README, "1.4.35 - 25 July 2021").
pub const LIBCCID_FOR_RC_S300: (u32, u32, u32) = (1, 4, 35);

impl KnownModel {
    /// The model of a USB id, if it is one of these.
    pub fn of(id: UsbId) -> Option<KnownModel> {
        Some(match (id.vendor, id.product) {
            // Linux drivers/nfc/port100.c: RCS380S_PRODUCT_ID 0x06c1, RCS380P_PRODUCT_ID 0x06c3
            // (vendor-specific class 255, no CCID interface; only that kernel NFC driver and nfcpy).
            (0x054c, 0x06c1 | 0x06c3) => KnownModel::SonyRcS380,
            // CCID readers/supported_readers.txt: SONY FeliCa RC-S300/S, RC-S300/P, RC-S660/U, all
            // three first in the 1.4.35 tag (RC-S300/S: commit 15c98518, 2021-06-22).
            (0x054c, 0x0dc8 | 0x0dc9 | 0x0d8f) => KnownModel::SonyRcS300,
            // The ACR1251 models in libacsccid1 1.1.8's Info.plist that libccid 1.5.2 does not
            // list (it has only the 0x221A Dual Reader): CL, U-C, K Dual, 1S Dual, T CL, Reader.
            (0x072f, 0x2218 | 0x221b | 0x2229 | 0x2232 | 0x2238 | 0x2242 | 0x224f | 0x225f) => {
                KnownModel::AcsAcr1251
            }
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            KnownModel::SonyRcS380 => "Sony PaSoRi RC-S380",
            KnownModel::SonyRcS300 => "Sony PaSoRi RC-S300",
            KnownModel::AcsAcr1251 => "ACS ACR1251",
        }
    }
}

/// A USB device that is, or may be, a smart-card reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsbReader {
    /// The sysfs name (`1-2`).
    pub port: String,
    pub id: UsbId,
    /// Manufacturer and product strings, when the device gives them.
    pub name: String,
    /// It has an interface of the smart-card (CCID) class.
    pub ccid_class: bool,
    pub model: Option<KnownModel>,
}

/// Read a small sysfs attribute, trimmed.
fn attr(dir: &Path, name: &str) -> Option<String> {
    let s = std::fs::read_to_string(dir.join(name)).ok()?;
    Some(s.trim().to_string())
}

fn hex_u16(s: &str) -> Option<u16> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u16::from_str_radix(s, 16).ok()
}

/// USB devices under `sysfs` (normally `/sys`) with a CCID interface or a known reader id, sorted by
/// port. A missing or unreadable tree gives none.
pub fn scan(sysfs: &Path) -> Vec<UsbReader> {
    let devices = sysfs.join("bus/usb/devices");
    let Ok(entries) = std::fs::read_dir(&devices) else {
        return Vec::new();
    };
    let mut found: Vec<UsbReader> = entries
        .flatten()
        .filter_map(|e| {
            let port = e.file_name().to_string_lossy().into_owned();
            // Interfaces ("1-2:1.0") are listed beside their devices; root hubs are "usbN".
            if port.contains(':') || port.starts_with("usb") {
                return None;
            }
            let dir = e.path();
            let id = UsbId {
                vendor: hex_u16(&attr(&dir, "idVendor")?)?,
                product: hex_u16(&attr(&dir, "idProduct")?)?,
            };
            let ccid_class = interface_classes(&dir, &port).contains(&CLASS_SMART_CARD);
            let model = KnownModel::of(id);
            if !ccid_class && model.is_none() {
                return None;
            }
            let name = [attr(&dir, "manufacturer"), attr(&dir, "product")]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            Some(UsbReader {
                port,
                id,
                name,
                ccid_class,
                model,
            })
        })
        .collect();
    found.sort_by(|a, b| a.port.cmp(&b.port));
    found
}

/// The interface classes of the device in `dir` (its `PORT:CONFIG.IFACE` subdirectories).
fn interface_classes(dir: &Path, port: &str) -> BTreeSet<u8> {
    let prefix = format!("{port}:");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| {
            let class = attr(&e.path(), "bInterfaceClass")?;
            u8::from_str_radix(&class, 16).ok()
        })
        .collect()
}

/// One installed PC/SC reader driver (a `*.bundle` with an `Info.plist`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Driver {
    /// The bundle's directory name (`ifd-ccid.bundle`).
    pub bundle: String,
    /// `CFBundleShortVersionString` (libccid: its version, e.g. "1.5.2").
    pub version: Option<String>,
    #[serde(skip)]
    pub ids: BTreeSet<UsbId>,
}

impl Driver {
    /// Is this libccid (the generic CCID driver most readers use)?
    pub fn is_libccid(&self) -> bool {
        self.bundle == "ifd-ccid.bundle"
    }

    /// The version as numbers, if it is `X.Y.Z`.
    pub fn version_triple(&self) -> Option<(u32, u32, u32)> {
        let v = self.version.as_deref()?;
        let mut parts = v.split('.').map(|p| p.trim().parse::<u32>().ok());
        Some((
            parts.next()??,
            parts.next()??,
            parts.next().flatten().unwrap_or(0),
        ))
    }
}

/// The drivers in `dirs` (each `*/Contents/Info.plist`); unreadable ones are skipped.
pub fn drivers(dirs: &[PathBuf]) -> Vec<Driver> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut bundles: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        bundles.sort();
        for bundle in bundles {
            let plist = bundle.join("Contents/Info.plist");
            if let Some(d) = parse_driver(&bundle, &plist) {
                out.push(d);
            }
        }
    }
    out
}

/// The USB ids a driver's `Info.plist` lists: `ifdVendorID[i]`:`ifdProductID[i]` (arrays for a
/// multi-reader driver like libccid, plain strings for a single-reader one).
fn parse_driver(bundle: &Path, plist: &Path) -> Option<Driver> {
    let value = plist::Value::from_file(plist).ok()?;
    let dict = value.as_dictionary()?;
    let strings = |key: &str| -> Vec<String> {
        match dict.get(key) {
            Some(plist::Value::String(s)) => vec![s.clone()],
            Some(plist::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_string().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let vendors = strings("ifdVendorID");
    let products = strings("ifdProductID");
    let ids = vendors
        .iter()
        .zip(&products)
        .filter_map(|(v, p)| {
            Some(UsbId {
                vendor: hex_u16(v)?,
                product: hex_u16(p)?,
            })
        })
        .collect();
    Some(Driver {
        bundle: bundle.file_name()?.to_string_lossy().into_owned(),
        version: dict
            .get("CFBundleShortVersionString")
            .and_then(|v| v.as_string())
            .map(str::to_string),
        ids,
    })
}

/// The driver that lists `id`, if any.
pub fn driver_for(drivers: &[Driver], id: UsbId) -> Option<&Driver> {
    drivers.iter().find(|d| d.ids.contains(&id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(root: &Path, port: &str, vid: &str, pid: &str, class: Option<&str>, product: &str) {
        let dir = root.join("bus/usb/devices").join(port);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("idVendor"), format!("{vid}\n")).unwrap();
        std::fs::write(dir.join("idProduct"), format!("{pid}\n")).unwrap();
        std::fs::write(dir.join("product"), format!("{product}\n")).unwrap();
        if let Some(c) = class {
            let iface = dir.join(format!("{port}:1.0"));
            std::fs::create_dir_all(&iface).unwrap();
            std::fs::write(iface.join("bInterfaceClass"), format!("{c}\n")).unwrap();
        }
    }

    #[test]
    fn finds_ccid_devices_and_known_readers_only() {
        let root = tempfile::tempdir().unwrap();
        device(root.path(), "1-1", "054c", "06c1", Some("ff"), "RC-S380/S");
        device(root.path(), "1-2", "054c", "0dc8", Some("0b"), "RC-S300/S");
        device(
            root.path(),
            "1-3",
            "046d",
            "c52b",
            Some("03"),
            "Unifying Receiver",
        );
        device(root.path(), "2-1", "04e6", "5116", Some("0b"), "SCR3310");
        std::fs::create_dir_all(root.path().join("bus/usb/devices/usb1")).unwrap();
        let found = scan(root.path());
        let ports: Vec<&str> = found.iter().map(|r| r.port.as_str()).collect();
        assert_eq!(ports, ["1-1", "1-2", "2-1"]);
        assert_eq!(found[0].model, Some(KnownModel::SonyRcS380));
        assert!(!found[0].ccid_class);
        assert_eq!(found[1].model, Some(KnownModel::SonyRcS300));
        assert!(found[1].ccid_class);
        assert_eq!(found[1].id.to_string(), "054c:0dc8");
        assert_eq!(found[2].model, None);
        assert!(scan(&root.path().join("nothing")).is_empty());
    }

    #[test]
    fn reads_the_ids_and_version_of_a_driver_plist() {
        let dir = tempfile::tempdir().unwrap();
        let contents = dir.path().join("ifd-ccid.bundle/Contents");
        std::fs::create_dir_all(&contents).unwrap();
        std::fs::write(
            contents.join("Info.plist"),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>CFBundleShortVersionString</key><string>1.4.34</string>
<key>ifdVendorID</key><array><string>0x04E6</string><string>0x072F</string></array>
<key>ifdProductID</key><array><string>0x5116</string><string>0xB100</string></array>
<key>ifdFriendlyName</key><array><string>SCR3310</string><string>ACR39U</string></array>
</dict></plist>"#,
        )
        .unwrap();
        let found = drivers(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert!(d.is_libccid());
        assert_eq!(d.version_triple(), Some((1, 4, 34)));
        assert!(d.version_triple() < Some(LIBCCID_FOR_RC_S300));
        let scr = UsbId {
            vendor: 0x04e6,
            product: 0x5116,
        };
        assert!(driver_for(&found, scr).is_some());
        let rcs300 = UsbId {
            vendor: 0x054c,
            product: 0x0dc8,
        };
        assert!(driver_for(&found, rcs300).is_none());
    }
}
