;;; emacs_test.el --- Batch Emacs + eglot + kernlint-eglot.el  -*- lexical-binding: t; -*-

;; Run by test_emacs.py:
;;   emacs --batch -l emacs_test.el
;; env: KL_CLIENT (clients/emacs), KL_BIN (kernlint), KL_FILE (C file),
;;      KL_OUT (JSON report), KL_RULE, KL_TITLE, KL_SPAN ("start,end", 0-based
;;      lines of the target function), KL_TIMEOUT (seconds)

(require 'package)
(package-initialize)
(require 'json)
(require 'cl-lib)
(add-to-list 'load-path (getenv "KL_CLIENT"))
(require 'kernlint-eglot)

(defvar kl-report nil)
(defun kl-put (k v) (setq kl-report (plist-put kl-report k v)))
(defun kl-step (s) (kl-put :steps (vconcat (plist-get kl-report :steps) (list s))))

(defun kl-finish (ok &optional err)
  (kl-put :ok (if ok t :json-false))
  (when err (kl-put :error err))
  (with-temp-file (getenv "KL_OUT")
    (insert (json-encode kl-report)))
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs (if ok 0 1)))

(defun kl-wait (pred timeout)
  "Run the event loop until PRED is non-nil or TIMEOUT seconds pass."
  (let ((end (+ (float-time) timeout)) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) end))
      (accept-process-output nil 0.1))
    v))

(defun kl-span ()
  (mapcar #'string-to-number (split-string (getenv "KL_SPAN") ",")))

(defun kl-rule-diags ()
  "Flymake diagnostics of KL_RULE in the target function."
  (let ((rule (format "[%s]" (getenv "KL_RULE")))
        (span (kl-span)))
    (cl-remove-if-not
     (lambda (d)
       (let ((line (1- (line-number-at-pos (flymake-diagnostic-beg d)))))
         (and (string-search rule (flymake-diagnostic-text d))
              (>= line (nth 0 span)) (< line (nth 1 span)))))
     (flymake-diagnostics))))

(condition-case err
    (let ((timeout (string-to-number (or (getenv "KL_TIMEOUT") "60")))
          (flymake-no-changes-timeout 0.2))
      (kl-put :emacs emacs-version)
      (setq kernlint-eglot-command (list (getenv "KL_BIN") "serve"))
      (find-file (getenv "KL_FILE"))
      (c-mode)
      (kl-step (format "opened in %s" major-mode))
      ;; Start eglot the way M-x eglot does: from eglot-server-programs.
      (let ((contact (eglot--guess-contact)))
        (kl-put :class (symbol-name (nth 2 contact)))
        (apply #'eglot contact))
      (unless (kl-wait (lambda () (eglot-current-server)) timeout)
        (error "eglot did not connect"))
      (kl-step "connected")
      (let ((diags (kl-wait (lambda () (flymake-start) (kl-rule-diags)) timeout)))
        (unless diags
          (error "no %s flymake diagnostic in the target function; all: %S"
                 (getenv "KL_RULE")
                 (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
        (let ((d (car diags)))
          (kl-put :diagnostic (flymake-diagnostic-text d))
          (kl-put :line (line-number-at-pos (flymake-diagnostic-beg d)))
          (kl-step "diagnostic")
          ;; Quick fixes for it. eglot 1.9 has no codeAction/resolve: the
          ;; server must send the edit itself to a client without resolveSupport.
          (let* ((actions (eglot-code-actions (flymake-diagnostic-beg d)
                                              (flymake-diagnostic-end d) "quickfix"))
                 (fix (cl-find-if (lambda (a) (string-prefix-p (getenv "KL_TITLE")
                                                               (plist-get a :title)))
                                  actions)))
            (kl-put :titles (vconcat (mapcar (lambda (a) (plist-get a :title)) actions)))
            (when fix
              (kl-put :fix_has_edit (if (plist-get fix :edit) t :json-false))
              (when (plist-get fix :edit)
                (eglot--apply-workspace-edit (plist-get fix :edit))
                (kl-put :text (buffer-substring-no-properties (point-min) (point-max)))
                (kl-step "fix applied"))))))
      (kl-finish t))
  (error (kl-finish nil (format "%S" err))))
