# %preun. On erase ($1 = 0) remove the links under /etc/systemd/user, as Fedora's
# %systemd_user_preun does. Users' state in their home directories stays (README.md, "Uninstall").
if [ "$1" -eq 0 ] ; then
	systemctl --no-reload --global disable mynawatch.service >/dev/null 2>&1 || :
fi
