;;; kernlint-eglot.el --- Use the kernlint language server with eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: c, languages, tools
;; SPDX-License-Identifier: GPL-2.0-only

;;; Commentary:

;; kernlint finds leak, lock, refcount, race and sleep-in-atomic bugs in
;; Linux kernel driver C code.  This file registers `kernlint serve' as
;; eglot's server for `c-mode' and `c-ts-mode'.
;;
;;   (add-to-list 'load-path "/path/to/kernlint/clients/emacs")
;;   (require 'kernlint-eglot)
;;   (add-hook 'c-mode-hook #'eglot-ensure)      ; or c-ts-mode-hook
;;
;; Diagnostics appear through flymake, quick fixes through
;; `eglot-code-actions' (M-x eglot-code-actions on a diagnostic).
;;
;; Settings are sent as initializationOptions and as the "kernlint"
;; section of workspace/configuration; see `kernlint-eglot-settings'.
;; Note: eglot allows one server per major mode, so this entry replaces
;; clangd (or ccls) for C buffers.

;;; Code:

(require 'eglot)

(defgroup kernlint nil
  "Linux kernel driver bug finder."
  :group 'tools
  :prefix "kernlint-")

(defcustom kernlint-eglot-command '("kernlint" "serve")
  "Command that starts the kernlint language server (stdio)."
  :type '(repeat string))

(defcustom kernlint-eglot-settings nil
  "Settings sent to the server, as a plist with the server's camelCase keys.
Example:
  (:select [\"KL\"] :severity (:KL101 \"error\") :llm (:enabled :json-false))
With :llm :enabled left off (the default) no code leaves the machine."
  :type 'plist)

(defconst kernlint-eglot-modes '(c-mode c-ts-mode)
  "Major modes kernlint serves.")

(defun kernlint-eglot--command (&optional _interactive)
  "Command for eglot: the project's .venv/bin/kernlint if present."
  (let* ((root (when-let ((p (project-current))) (project-root p)))
         (venv (and root (expand-file-name ".venv/bin/kernlint" root))))
    (if (and venv (file-executable-p venv))
        (cons venv (cdr kernlint-eglot-command))
      kernlint-eglot-command)))

(defclass kernlint-eglot-server (eglot-lsp-server) ()
  :documentation "The kernlint language server.")

(cl-defmethod eglot-initialization-options ((_server kernlint-eglot-server))
  "Send `kernlint-eglot-settings' as initializationOptions."
  (or kernlint-eglot-settings eglot--{}))

(defun kernlint-eglot--workspace-configuration (&rest _)
  "The \"kernlint\" section answered to workspace/configuration."
  (list :kernlint (or kernlint-eglot-settings eglot--{})))

;;;###autoload
(defun kernlint-eglot-setup ()
  "Register kernlint in `eglot-server-programs' for C modes."
  (setq eglot-server-programs
        (cons (cons kernlint-eglot-modes
                    (cons 'kernlint-eglot-server #'kernlint-eglot--command))
              (cl-remove-if (lambda (e) (equal (car e) kernlint-eglot-modes))
                            eglot-server-programs)))
  ;; Answer workspace/configuration for "kernlint" only if the user has not
  ;; set `eglot-workspace-configuration' already (it is shared by all servers).
  (unless (default-value 'eglot-workspace-configuration)
    (setq-default eglot-workspace-configuration
                  #'kernlint-eglot--workspace-configuration)))

(kernlint-eglot-setup)

(provide 'kernlint-eglot)
;;; kernlint-eglot.el ends here
