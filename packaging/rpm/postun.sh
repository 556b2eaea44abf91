# %postun. The udev rule may be gone (erase) or changed (upgrade): reload.
if [ -d /run/udev ] && command -v udevadm >/dev/null 2>&1; then
	udevadm control --reload-rules >/dev/null 2>&1 || :
fi
