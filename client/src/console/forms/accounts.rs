//! Accounts: signing in (the console and the classroom computer), a new account and a new
//! password for one.

use super::{error, id};
use crate::console::model::FieldError;
use serde_json::{json, Value};

/// The sign-in form (only the pages use it: it has nothing to check).
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignInForm {
    pub login: String,
    pub password: String,
}

/// The form to add an account: the role's kind from the select and its school, teacher or
/// classroom number from the field beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountForm {
    pub login: String,
    pub name: String,
    pub password: String,
    /// `teacher`, `classroom_device`, `school_admin` or `bureau_admin`.
    pub kind: String,
    pub of: String,
}

impl Default for AccountForm {
    /// Empty, with a teacher's account picked (the select's first option).
    fn default() -> Self {
        AccountForm {
            login: String::new(),
            name: String::new(),
            password: String::new(),
            kind: "teacher".to_string(),
            of: String::new(),
        }
    }
}

impl AccountForm {
    /// `POST /api/accounts`.
    pub fn body(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (kind, of) = (self.kind.as_str(), self.of.as_str());
        let role = match kind {
            "bureau_admin" => json!({"kind": kind}),
            "school_admin" => json!({"kind": kind, "school": id("role", of, &mut errors)}),
            "teacher" => json!({"kind": kind, "teacher": id("role", of, &mut errors)}),
            "classroom_device" => json!({"kind": kind, "classroom": id("role", of, &mut errors)}),
            _ => {
                errors.push(error("role", "请选择账号类型"));
                Value::Null
            }
        };
        if errors.is_empty() {
            Ok(json!({"login": self.login.trim(), "name": self.name.trim(),
                      "password": self.password, "role": role}))
        } else {
            Err(errors)
        }
    }
}

/// The form to set a new password for an account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PasswordForm {
    /// The account picked ("" until one is: the select shows the first).
    pub account: String,
    pub password: String,
}

impl PasswordForm {
    /// `PUT /api/accounts/{account}/password` (path and body) for the account the select shows.
    pub fn request(&self, account: &str) -> (String, Value) {
        (
            format!("/api/accounts/{}/password", account.trim()),
            json!({"password": self.password}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(login: &str, name: &str, kind: &str, of: &str) -> AccountForm {
        AccountForm {
            login: login.into(),
            name: name.into(),
            password: "a long password".into(),
            kind: kind.into(),
            of: of.into(),
        }
    }

    #[test]
    fn an_account_form_names_its_role() {
        let body = account(" li ", "李老师", "teacher", "7").body().unwrap();
        assert_eq!(
            body,
            json!({"login": "li", "name": "李老师", "password": "a long password",
                   "role": {"kind": "teacher", "teacher": 7}})
        );
        let bureau = account("z", "张", "bureau_admin", "").body().unwrap();
        assert_eq!(bureau["role"], json!({"kind": "bureau_admin"}));
        let errs = account("d", "电脑", "classroom_device", "五年级")
            .body()
            .unwrap_err();
        assert_eq!(errs[0].field, "role");
        assert_eq!(AccountForm::default().kind, "teacher");
    }

    #[test]
    fn a_new_password_goes_to_the_account_shown() {
        let form = PasswordForm {
            account: String::new(),
            password: "another long one".into(),
        };
        let (path, body) = form.request("12");
        assert_eq!(path, "/api/accounts/12/password");
        assert_eq!(body, json!({"password": "another long one"}));
    }
}
